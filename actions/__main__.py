"""The action server: `python -m actions --actions actions -p PORT` (tools/stack.py starts it).

rasa_sdk's own server, after the flow action classes are made from knowledge/flows.yml: its
registration walks the subclasses of Action, so they must exist before it starts, and making
them here rather than when `actions` is imported keeps imports free of work.
"""

from __future__ import annotations

from rasa_sdk.__main__ import main as rasa_sdk_main

from actions.flows import flow_action_classes


def main() -> None:
    flow_action_classes()
    rasa_sdk_main()


if __name__ == "__main__":
    main()
