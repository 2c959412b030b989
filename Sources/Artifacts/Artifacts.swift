// Artifacts module.
