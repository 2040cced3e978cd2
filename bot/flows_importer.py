"""The guided flows' domain and rules, derived from knowledge/flows.yml at training time.

Rasa reads its training data through the importers named in bot/config.yml; this one is Rasa's
own file importer plus, for every flow in knowledge/flows.yml, the intent, slots, entities,
form and actions (`Flows.rasa_domain`) and the three rules (`Flows.rasa_rules`). `rasa train`,
`rasa data validate` and bench/nlu.py all read the config, so they all see the same flows, and
a new flow needs no domain or rule file (docs/adr/0004).
"""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.utils.common import cached_method

from knowledge.flows import FLOWS_FILE, load_flows


class FlowsImporter(RasaFileImporter):
    """RasaFileImporter with the flows of knowledge/flows.yml added to the domain and rules."""

    @cached_method
    def get_domain(self) -> Domain:
        return super().get_domain().merge(Domain.from_dict(load_flows().rasa_domain()))

    def get_stories(self, exclusion_percentage: int | None = None) -> StoryGraph:
        stories = super().get_stories(exclusion_percentage)
        reader = YAMLStoryReader(self.get_domain(), source_name=str(FLOWS_FILE))
        return stories.merge(
            StoryGraph(reader.read_from_parsed_yaml({"version": "3.1", "rules": load_flows().rasa_rules()}))
        )
