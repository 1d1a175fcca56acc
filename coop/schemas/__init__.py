"""Marshmallow schemas for the REST API: shape only (types, lengths, enums), never policy.

Input schemas are named ``…Create`` / ``…In`` and refuse unknown fields; output schemas are
``…Out``, with every server-set field ``dump_only``. Money and hours are decimal strings.
No schema touches the database: the services decide whether a value is acceptable.
"""
