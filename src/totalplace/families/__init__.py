"""The whole family: person-level extracts linked into people and households,
their contacts with each agency as events priced from the Unit Cost Database,
their journeys, what residents say, and the disclosure control around it all."""
