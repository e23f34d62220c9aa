"""EUROCONTROL ASTERIX: one module per category (item tables per edition), the data-block walk,
the fast compiled readers, the conversion to Reports and the encoders the node's outputs and
the simulator's radars write with."""
