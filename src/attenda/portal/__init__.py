"""The customer portal: customers sign in by an emailed link and follow their own tickets."""
