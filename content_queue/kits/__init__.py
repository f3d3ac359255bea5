"""Campaign kits: ready, editable YAML files that create a campaign of draft posts.

- :mod:`.schema`  reads and checks one kit file (errors name the file, line and reason)
- :mod:`.catalog` the built-in kits (``*.yaml`` beside this file) plus the agency's folder
- :mod:`.dates`   National Public Safety Telecommunicators Week and other day anchors
- :mod:`.fill`    checks the PIO's field values and puts them into the texts
- :mod:`.start`   makes the campaign and its drafts

A kit file::

    id: recruiting
    name: Recruiting
    description: …
    dates: start_date          # npstw | start_date | the name of one of the kit's date fields
    default_time: "10:00"      # used when the agency has no usual posting time
    requires_consent: false    # true: a person's consent must be recorded before approval
    fields:
      - {name: agency_name, label: Your center's name, required: true, kind: text}
    posts:
      - key: open-positions
        title: We are hiring
        day: 0                 # days after day 0 (negative: before)
        time: usual            # or "09:30"
        text: "{agency_name} is hiring telecommunicators. …"
        variants: {x: "…"}     # per-platform texts
        images:
          - alt_text_prompt: Describe the photo: …
"""

from content_queue.kits.catalog import KitCatalog, load_catalog
from content_queue.kits.dates import npstw_week
from content_queue.kits.schema import Kit, KitError, KitField, KitPostSpec, parse_kit
from content_queue.kits.start import KitStarted, start_kit, usual_posting_time

__all__ = ["Kit", "KitCatalog", "KitError", "KitField", "KitPostSpec", "KitStarted",
           "load_catalog", "npstw_week", "parse_kit", "start_kit", "usual_posting_time"]
