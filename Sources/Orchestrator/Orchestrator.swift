// Orchestrator module.
