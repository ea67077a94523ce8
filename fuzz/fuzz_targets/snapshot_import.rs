//! An inventory input (any format the importer detects, plain or gzip): read with every
//! field and with a projection, then written back. Bad input must become diagnostics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ward_model::{FieldNeeds, Inventory};

fuzz_target!(|data: &[u8]| {
    for needs in [
        FieldNeeds::everything(),
        FieldNeeds::names(["ipPermissions".to_string(), "encrypted".to_string()]),
    ] {
        let mut inventory = Inventory::new();
        inventory.set_field_needs(needs);
        let mut report = ward_import::import_reader("fuzz.json", data, &mut inventory);
        report.attribute_facts(&mut inventory);
        inventory.synthesize_accounts();
        let _ = serde_json::to_string(&inventory.to_snapshot());
    }
});
