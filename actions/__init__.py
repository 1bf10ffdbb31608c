"""Rasa custom actions (rasa_sdk action server); rasa_sdk imports every submodule by itself."""

import warnings

# rasa_sdk 3.21 warns on every call from the rasa 3.6 server because the minor versions differ.
# The action-server protocol has not changed between them (and rasa 3.6 is the last open-source
# release), so the warning carries no information for us; silencing it keeps the logs readable.
warnings.filterwarnings(
    "ignore",
    message="Your versions of rasa and rasa_sdk might not be compatible",
    category=UserWarning,
)
