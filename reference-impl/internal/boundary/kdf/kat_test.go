package kdf

// credentialKATSession is HKDF-SHA384 OKM (96 bytes) for z = 0x11×48,
// nonce = 0x22×32, label "OpenIHSM-v1 session", client public 0x04||0x33×96,
// device public 0x04||0x44×96.
const credentialKATSession = "293cfcfc5aedb5eeada75d84856f58fd46539d9791166eb1cdca6e19676b577fa4110490937e9fa664f5e1b4d8dce4540bd456fa016af4643acfa45170feae53e3359f0eb013f59cd7a7bcd45256a75c51c94e601cc226619e1746097af9ca0e"
