Feature: PIN lockout
  After max_pin_attempts (5) consecutive wrong PINs a partition is locked
  out: every PIN check answers PinLockedOut without looking at the PIN, for
  1 s after the fifth failure, doubling with each further failure up to
  1024 s. A correct PIN after the backoff resets the counter; the counter
  and the lockout survive a power cycle; other partitions are unaffected.
  Every scenario ends with the counter reset, so later scenarios can open
  sessions, and with the clock set back, so that certificates issued later
  are valid at once.

  Background:
    Given a provisioned partition
    And an open session as "before"

  @baseline @serial @needs-control @IHSM-PRV-009 @IHSM-PRV-010 @IHSM-DEV-006
  Scenario: Five wrong PINs lock the partition out for one second
    When I fail the PIN check of OpenSession 5 times
    And I send OpenSession
    Then the status is PinLockedOut
    When I send GetDeviceInfo
    Then the response field partition_state is LockedOut
    When the clock advances by 1s
    And I send GetDeviceInfo
    Then the response field partition_state is Provisioned
    When I send OpenSession
    Then the status is Success
    And the clock goes back by 1s

  @baseline @serial @needs-control @IHSM-PRV-009
  Scenario: A locked-out partition does not check the PIN, right or wrong
    When I fail the PIN check of OpenSession 5 times
    And I send OpenSession with:
      | pin | text:still-the-wrong-pin |
    Then the status is PinLockedOut
    When I send OpenSession
    Then the status is PinLockedOut
    When the clock advances by 1s
    And I send OpenSession
    Then the status is Success
    And the clock goes back by 1s

  @baseline @serial @needs-control @IHSM-PRV-010
  Scenario: The backoff doubles with each further failure and a correct PIN resets the counter
    When I fail the PIN check of OpenSession 5 times
    And the clock advances by 1s
    And I fail the PIN check of OpenSession 1 time
    And I send OpenSession
    Then the status is PinLockedOut
    When the clock advances by 1s
    And I send OpenSession
    Then the status is PinLockedOut
    When the clock advances by 1s
    And I send OpenSession
    Then the status is Success
    When I fail the PIN check of OpenSession 4 times
    And I send OpenSession
    Then the status is Success
    And the clock goes back by 3s

  @baseline @serial @needs-control @IHSM-PRV-010
  Scenario: The backoff stops doubling at 1024 seconds
    When I fail the PIN check of OpenSession 5 times
    And the clock advances by 1s
    And I fail the PIN check of OpenSession 1 time
    And the clock advances by 2s
    And I fail the PIN check of OpenSession 1 time
    And the clock advances by 4s
    And I fail the PIN check of OpenSession 1 time
    And the clock advances by 8s
    And I fail the PIN check of OpenSession 1 time
    And the clock advances by 16s
    And I fail the PIN check of OpenSession 1 time
    And the clock advances by 32s
    And I fail the PIN check of OpenSession 1 time
    And the clock advances by 64s
    And I fail the PIN check of OpenSession 1 time
    And the clock advances by 128s
    And I fail the PIN check of OpenSession 1 time
    And the clock advances by 256s
    And I fail the PIN check of OpenSession 1 time
    And the clock advances by 512s
    And I fail the PIN check of OpenSession 1 time
    And the clock advances by 1024s
    And I fail the PIN check of OpenSession 1 time
    And I send OpenSession
    Then the status is PinLockedOut
    When the clock advances by 1023s
    And I send OpenSession
    Then the status is PinLockedOut
    When the clock advances by 2s
    And I send OpenSession
    Then the status is Success
    And the clock goes back by 3072s

  @baseline @serial @needs-control @IHSM-PRV-017
  Scenario: A lockout refuses ChangePin while sessions opened before keep working
    When I fail the PIN check of OpenSession 5 times
    And I switch to session "before"
    And I send ListKeys
    Then the status is Success
    When I save the suite PIN as @pin
    And I send ChangePin with:
      | current_pin | @pin           |
      | new_pin     | text:new-pin-1 |
    Then the status is PinLockedOut
    When the clock advances by 1s
    And I send OpenSession
    Then the status is Success
    And the clock goes back by 1s

  @baseline @serial @needs-control @IHSM-PRV-009 @IHSM-PRV-017
  Scenario: Wrong current PINs at ChangePin count towards the lockout
    When I switch to session "before"
    And I fail the PIN check of ChangePin 5 times
    And I send OpenSession
    Then the status is PinLockedOut
    When the clock advances by 1s
    And I send OpenSession
    Then the status is Success
    And the clock goes back by 1s

  @baseline @serial @needs-control @IHSM-PRV-011 @IHSM-SES-005
  Scenario: The failure counter and the lockout survive a power cycle
    When I fail the PIN check of OpenSession 3 times
    And the device is power-cycled
    And I fail the PIN check of OpenSession 2 times
    And I send OpenSession
    Then the status is PinLockedOut
    When the device is power-cycled
    And I send OpenSession
    Then the status is PinLockedOut
    When I switch to session "before"
    And I send ListKeys
    Then the status is SessionNotFound
    When the clock advances by 1s
    And I send OpenSession
    Then the status is Success
    And the clock goes back by 1s

  @baseline @serial @needs-control @two-partitions @IHSM-PAR-007
  Scenario: A lockout of one partition leaves the other partition's PIN checks and sessions alone
    When I switch to partition B
    Given a provisioned partition
    And an open session as "b"
    When I switch to partition A
    And I fail the PIN check of OpenSession 5 times
    And I send OpenSession
    Then the status is PinLockedOut
    When I switch to partition B
    And I send ListKeys
    Then the status is Success
    When I send OpenSession
    Then the status is Success
    When I send GetDeviceInfo
    Then the response field partition_state is Provisioned
    When I switch to partition A
    And the clock advances by 1s
    And I send OpenSession
    Then the status is Success
    And the clock goes back by 1s

  @migration @serial @needs-control @IHSM-PRV-017 @IHSM-SES-010
  Scenario: A lockout refuses ReopenSession of a migrated session until the backoff ends
    When I switch to session "before"
    And the device is migrated
    And I send ListKeys
    Then the status is SessionNeedsRenegotiation
    When I fail the PIN check of OpenSession 5 times
    And I switch to session "before"
    And I renegotiate the session
    Then the status is PinLockedOut
    When the clock advances by 1s
    And I renegotiate the session
    Then the status is Success
    When I send ListKeys
    Then the status is Success
    And the clock goes back by 1s
