"""Pure, framework-free identifier logic: ARK syntax (``ark``) and NOID minting (``noid``)."""
