fn main() -> anyhow::Result<()> {
    anyhow::bail!("sim-venue: not built yet")
}
