"""XMem's feature memory: pure math (similarity, top-k softmax, readout), the key-value
stores, consolidation into long-term memory and the manager that ties them together."""
