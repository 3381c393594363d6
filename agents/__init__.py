"""HashPivot agents: Miners, Hyperscalers and GridOperators and their decision rules."""
