//! Compiles `proto/capacityhub/v1/*.proto` with protox (pure Rust, so no system `protoc`) and
//! generates the tonic server and client. The descriptor set is also written to OUT_DIR so the
//! server can answer gRPC reflection and the CLI can read and write proto3 JSON.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from("proto");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(proto_dir.join("capacityhub/v1"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "proto") {
            println!("cargo:rerun-if-changed={}", path.display());
            files.push(path);
        }
    }
    files.sort();
    println!("cargo:rerun-if-changed=proto/capacityhub/v1");

    let descriptors = protox::compile(&files, [&proto_dir])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let encoded = prost::Message::encode_to_vec(&descriptors);
    std::fs::write(out_dir.join("capacityhub_descriptor.bin"), encoded)?;

    // Type names (`prost::Name`) let the CLI find each message in the descriptor pool, to read and
    // print canonical proto3 JSON.
    let mut config = tonic_prost_build::Config::new();
    config.enable_type_names();
    tonic_prost_build::configure().compile_fds_with_config(descriptors, config)?;
    Ok(())
}
