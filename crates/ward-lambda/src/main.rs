//! `bootstrap`: the Lambda custom runtime entry point. The AWS clients are configured once
//! per cold start; each event is handled by [`ward_lambda::handle`], which loads the rules
//! it runs on first use (kept while the container is warm), and its evaluations are sent
//! with `PutEvaluations`.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use ward_aws::{AwsOptions, Clients};
use ward_lambda::{ControlsByRules, EvidenceStore};
use ward_run::backends::LoadOptions;

fn main() -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let controls = Arc::new(ControlsByRules::new(LoadOptions::default()));
        let clients = Arc::new(Clients::load(&AwsOptions::default()).await?);
        let store = Arc::new(EvidenceStore::from_env());
        lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
            let controls = controls.clone();
            let clients = clients.clone();
            let store = store.clone();
            async move {
                ward_lambda::handle(&controls, Some(&clients), &store, &event.payload)
                    .await
                    .map_err(|e| Error::from(e.to_string()))
            }
        }))
        .await
    })
}
