"""Every difference between the Home Assistant releases this integration supports, in one place.

The suite runs on the oldest supported release (MIN_HA_VERSION, also in hacs.json) and on
2026.2.3, the newest one Python 3.13 can run. Where their APIs differ, the choice is made here
once, so every other module reads as if there were a single Home Assistant. docs/ha-versions.md
lists the changes of later releases and what the code does about each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant import config_entries

MIN_HA_VERSION: Final = "2025.4.0"

# Options flows: from 2025.8, OptionsFlowWithReload reloads the entry after the options are
# saved, and 2026.6 deprecates doing the same from an update listener while the config flow
# also reloads (reauth/reconfigure through async_update_reload_and_abort) — an error from
# 2026.12. Older releases only have OptionsFlow, so there the update listener does the reload.
if TYPE_CHECKING:
    OptionsFlowWithReload = config_entries.OptionsFlow
else:
    OptionsFlowWithReload = getattr(
        config_entries, "OptionsFlowWithReload", config_entries.OptionsFlow
    )
OPTIONS_FLOW_RELOADS: Final[bool] = hasattr(config_entries, "OptionsFlowWithReload")
