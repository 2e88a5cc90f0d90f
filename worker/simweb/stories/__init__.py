"""The prose of the simulated web, written for wirestream: fictional outlets reporting
fictional events in a realistic world. One module per language, plus the wire stories."""
