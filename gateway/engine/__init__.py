"""The engine client and its parts, one concept per module: `ring` (which instance a session
goes to), `slots` (how many turns one instance gets at a time), `turn_locks` (one turn of a
session at a time, across gateway replicas), `client` (the HTTP calls to Rasa)."""

from gateway.engine.client import EngineClient, EngineUnavailable
from gateway.engine.ring import HashRing
from gateway.engine.slots import Slots

__all__ = ["EngineClient", "EngineUnavailable", "HashRing", "Slots"]
