// What the figures were measured on: a number without its machine is not a figure.
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

export interface MachineInfo {
  date: string;
  node: string;
  platform: string;
  kernel: string;
  nproc: number;
  memoryMb: number;
  cpuModel: string;
  /** 1/5/15-minute load averages when the run started: other work on the machine skews every figure. */
  loadAverage: number[];
}

function cpuModel(): string {
  const fromOs = os.cpus()[0]?.model;
  if (fromOs) return fromOs.trim();
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function describeMachine(now = new Date()): MachineInfo {
  return {
    date: now.toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    // availableParallelism honours cgroup CPU limits, which is what "nproc" reports too.
    nproc: os.availableParallelism(),
    memoryMb: Math.round(os.totalmem() / 1024 / 1024),
    cpuModel: cpuModel(),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
