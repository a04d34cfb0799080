"""EventBridge and EventBridge Scheduler: schedules fire, rules reach their targets."""
