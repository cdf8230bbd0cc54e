"""Missing persons: a registry of records with face embeddings, imports (CSV, NamUs),
a NamUs connector, face lookup with reasons, reverse search, and alerts.

Heavy pieces (FAISS, psycopg, requests, smtplib) load inside the functions that use them.
"""

from workbench.missing.agewindow import AgeSettings, check_age, expected_age_window
from workbench.missing.backends import open_registry
from workbench.missing.records import MissingPerson, MissingPersonsError, RegistryPhoto, normalise_sex
from workbench.missing.store import Registry
from workbench.missing.threshold import Threshold, default_threshold

__all__ = [
    "AgeSettings", "MissingPerson", "Registry", "MissingPersonsError", "RegistryPhoto", "Threshold",
    "check_age", "default_threshold", "expected_age_window", "normalise_sex", "open_registry",
]
