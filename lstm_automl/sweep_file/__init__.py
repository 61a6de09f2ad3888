"""Reading a sweep file: YAML → a validated config, checked against the data and model rules,
or one error listing every problem; and the JSON Schema editors use (``lstm-sweep schema``).
"""
