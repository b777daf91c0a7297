"""Pages that rank the work of every domain together: above the register, vendors and watches, below the views."""
