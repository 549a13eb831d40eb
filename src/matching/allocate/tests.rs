use super::*;

#[test]
#[ignore]
fn timing_at_scale() {
    let start = std::time::Instant::now();
    let instance = synthetic_instance(20_000, 5_000, 50, 7);
    eprintln!("build {:?} pairs {}", start.elapsed(), instance.pairs.len());
    let t = std::time::Instant::now();
    let (opt, bound) = optimal_with_bound(&instance);
    eprintln!(
        "optimal {:?} assigned {} total {} bound {}",
        t.elapsed(),
        opt.assigned.len(),
        opt.total_value,
        bound
    );
    let t = std::time::Instant::now();
    let st = stable(&instance);
    eprintln!(
        "stable {:?} assigned {} total {}",
        t.elapsed(),
        st.assigned.len(),
        st.total_value
    );
    check_feasible(&instance, &opt).unwrap();
    check_feasible(&instance, &st).unwrap();
    if std::env::var("SSP").is_ok() {
        let p = prepared::Prepared::new(&instance);
        let t = std::time::Instant::now();
        let (a, r) = by_shortest_paths(&p);
        eprintln!("ssp {:?}", t.elapsed());
        let (b, r2) = by_cost_scaling(&p);
        let sum = |c: &[usize]| c.iter().filter(|&&k| k != NONE).map(|&k| p.value[k]).sum::<i64>();
        eprintln!(
            "relaxed ssp {} cs {}; final ssp {} cs {}",
            sum(&r),
            sum(&r2),
            sum(&a),
            sum(&b)
        );
    }
}
