"""SAPIENT, BSI Flex 335 v2.0: framing, schema rules, messages, conversion to Reports, encoding."""
