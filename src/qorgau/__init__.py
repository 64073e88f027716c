"""Qorgau: the national confidential inter-agency system for domestic-violence cases."""
