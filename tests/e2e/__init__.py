"""Browser end-to-end test: the demo stack driven through Home Assistant's real frontend."""
