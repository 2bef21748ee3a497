Feature: Key lifecycles and usage policy
  Keys are used only for what their usage flags permit and leave the
  device only masked.

  Background:
    Given a provisioned partition
    And an open session

  @baseline @IHSM-KEY-001 @IHSM-CRY-001
  Scenario Outline: A <kind> key signs and the signature verifies offline
    Given a key of kind <kind> with usage Sign|Verify as @k
    When I send Sign with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | <data>      |
    Then the status is Success
    And the signature verifies with the public key of @k

    Examples:
      | kind    | algorithm   | data      |
      | EccP256 | EcdsaSha256 | random:32 |
      | EccP384 | EcdsaSha384 | random:48 |
      | Ed25519 | Ed25519     | random:100 |

  @baseline @IHSM-KEY-005
  Scenario Outline: A key without the <usage> usage cannot <command>
    Given a key of kind <kind> with usage <granted> as @k
    When I send <command> with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | <field>    | random:32   |
    Then the status is UsageNotPermitted

    Examples:
      | usage   | kind    | granted | command | algorithm   | field     |
      | Sign    | EccP256 | Verify  | Sign    | EcdsaSha256 | data      |
      | Encrypt | Aes256  | Decrypt | Encrypt | AesGcm      | plaintext |

  @baseline @IHSM-KEY-003
  Scenario: A deleted key is gone
    Given a key of kind EccP256 with usage Sign as @k
    When I send DeleteKey with:
      | key_handle | @k |
    Then the status is Success
    When I send GetPublicKey with:
      | key_handle | @k |
    Then the status is KeyNotFound
