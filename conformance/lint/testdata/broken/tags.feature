Feature: Tag rules

  @baseline
  Scenario: No requirement tag
    When I send GetApiRevision
    Then the status is Success

  @baseline @IHSM-FOO-999
  Scenario: An unknown requirement
    When I send GetApiRevision
    Then the status is Success

  @baseline @pqc @IHSM-DEV-001
  Scenario: Two profiles
    When I send GetApiRevision
    Then the status is Success

  @IHSM-DEV-001
  Scenario: No profile
    When I send GetApiRevision
    Then the status is Success

  @baseline @needs_control @IHSM-DEV-001
  Scenario: A misspelt suite tag
    When I send GetApiRevision
    Then the status is Success

  @baseline @IHSM-DEV-001
  Scenario: No profile
    When I send GetApiRevision
    Then the status is Success
