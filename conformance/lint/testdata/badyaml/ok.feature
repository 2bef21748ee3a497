Feature: One scenario

  @baseline @IHSM-DEV-001
  Scenario: The revision
    When I send GetApiRevision
    Then the status is Success
