Feature: Outline and step rules

  @baseline @IHSM-DEV-003
  Scenario Outline: An outline without placeholders (<n>)
    When I send GetCapabilities
    Then the status is Success

    Examples:
      | n |
      | 1 |
      | 2 |

  @baseline @IHSM-DEV-003
  Scenario Outline: An unused column <command>
    When I send <command>
    Then the status is Success

    Examples:
      | command         | extra |
      | GetCapabilities | x     |

  @baseline @IHSM-DEV-003
  Scenario: A step nobody defined
    When I frobnicate the device
    Then the status is Success

  @baseline @not-mechanical @IHSM-DEV-003
  Scenario: A not-mechanical scenario with steps
    When I send GetCapabilities
