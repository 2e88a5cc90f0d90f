"""Pure pipeline logic: no Redis, no network, no clock."""
