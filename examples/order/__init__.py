"""An order workflow: reserve each item (a loop), review large orders (a condition),
wait for the payment (an external event), then ship."""
