"""The real promtool and amtool (and a running stack): runs, validate, proofs, stand-ins, health."""
