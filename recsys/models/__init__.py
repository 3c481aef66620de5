"""The spiking ranker: towers, the co-rating readout, scoring, losses and training loops.

Nothing is re-exported here, so that importing one part (serving imports the ranker) does not
load the others (the training loops and their progress bars). Import from the modules.
"""
