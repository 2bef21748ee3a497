// Package conformancetest runs parts of the conformance suite that have no
// home of their own against the reference HSM: the Wycheproof and spec
// vectors of conformance/vectors, which must all pass on the reference
// device and must fail on a device (or a path to it) that answers
// wrongly, and the whole suite over TCP and exec endpoints (package
// refhsm runs it in process and over Unix sockets). It holds tests only;
// the conformance packages may not import the reference implementation,
// so the tests live here.
package conformancetest
