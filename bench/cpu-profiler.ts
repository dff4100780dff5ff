// Preloaded into a server by bench/compare.sh (`node --import .../cpu-profiler.js`) to profile
// one load step and nothing else: the first SIGUSR2 starts V8's CPU profiler, the second
// writes the profile to $BENCH_CPU_PROFILE (a .cpuprofile, as `node --cpu-prof` writes) and
// exits the process.
import { Session } from 'node:inspector'
import { writeFileSync } from 'node:fs'

const out = process.env['BENCH_CPU_PROFILE']
if (out) {
  const session = new Session()
  session.connect()
  let running = false
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true
      session.post('Profiler.enable', () => session.post('Profiler.start'))
      return
    }
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(out, JSON.stringify(result.profile))
      process.exit(err ? 1 : 0)
    })
  })
}
