"""What the change history (django-pghistory) records of each clinical table: one home."""

import pghistory


def trackers() -> tuple:
    """Inserts, updates and deletes (a raw DELETE used to leave no trace). Fresh instances for
    each model, as pghistory requires."""
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
