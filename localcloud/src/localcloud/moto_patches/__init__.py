"""Everything that touches moto's internals: the patches (``install``, ``fidelity``,
``speed``), the serialised IAM calls, and the names and lookups the other rooms use
(``internals``). No other room imports ``moto.<service>`` or ``moto.core``."""
