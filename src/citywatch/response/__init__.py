"""Emergency plans and response activation (应急预案与应急响应).

Plans say, per hazard and response level Ⅳ..Ⅰ, which organisation does what within how long after
activation, and how a warning proposes a response (DOMAIN.md §3.2 as configuration). Responses are started,
changed and ended by a commander; their checklist is instantiated from the plan revision they started
with; every change writes a notification (``citywatch.notify``) in the same transaction. See
docs/architecture.md, "Plans and responses".
"""
