Feature: Not Gherkin
  Scenario: Fine so far
    Given a provisioned partition
  @orphan-tag
