"""The simulator: scenario files, drone motion, sensor emulators, time-ordered replay."""
