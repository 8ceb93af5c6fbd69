"""``issuewire demo``: a simulated portal (:mod:`jobs.demo.simulator`) run end to end (:mod:`jobs.demo.run`)."""
