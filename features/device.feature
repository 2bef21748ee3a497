Feature: Device information, capabilities and self-tests
  Every device answers the anonymous device commands outside any session:
  its API revisions, its identity and the states of the device and of the
  partition behind the endpoint, its capabilities and limits, and the
  outcome of its self-tests.

  @baseline @IHSM-DEV-001
  Scenario: The device implements API revision 1.0
    When I send GetApiRevision
    Then the status is Success
    And the response field min_revision is 0x0100

  @baseline @IHSM-DEV-002 @IHSM-DEV-006
  Scenario: The device describes itself and the provisioned partition behind the endpoint
    Given a provisioned partition
    When I send GetDeviceInfo
    Then the status is Success
    And the response field device_state is Operational
    And the response field partition_state is Provisioned
    And the response field partition_index is 0
    And the response field partition_id has 16 bytes

  @baseline @two-partitions @IHSM-DEV-002
  Scenario: Each endpoint reports the partition behind it
    When I switch to partition B
    And I send GetDeviceInfo
    Then the status is Success
    And the response field partition_index is 1

  @baseline @IHSM-DEV-003
  Scenario: The device lists its mandatory algorithms and the spec's limits
    When I send GetCapabilities
    Then the status is Success
    And the response field key_kinds contains EccP256
    And the response field key_kinds contains Aes256
    And the response field algorithms contains EcdsaSha256
    And the response field algorithms contains AesGcm
    And the response field max_sessions is 8
    And the response field max_frame is 65536
    And the response field min_pin is 8
    And the response field max_pin is 64
    And the response field max_pin_attempts is 5

  @baseline @IHSM-SLF-005 @IHSM-SLF-006
  Scenario: RunSelfTest runs the known-answer tests and GetSelfTestStatus reports the run
    When I send RunSelfTest
    Then the status is Success
    And the response field state is Passed
    And the response field failed does not contain KAT-SHA2
    When I save field tests_run as @n
    And I send GetSelfTestStatus
    Then the status is Success
    And the response field state is Passed
    And the response field device_state is Operational
    And the response field failed does not contain KAT-SHA2
