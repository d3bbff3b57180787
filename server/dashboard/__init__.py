"""The reviewer dashboard: server-rendered pages scoped to the signed-in reviewer's institution."""
