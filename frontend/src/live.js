import { fetchRuns } from "./api.js";

const INTERVAL_MS = 1000;

export class LivePoller {
  constructor(onRuns, onStatus) {
    this.onRuns = onRuns;
    this.onStatus = onStatus;
    this.timer = null;
    this.token = 0;
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && this.project) this.schedule(0);
    });
  }

  start(project, cursor) {
    this.stop();
    this.project = project;
    this.cursor = cursor;
    this.token += 1;
    this.schedule(INTERVAL_MS);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    this.project = null;
    this.token += 1;
  }

  schedule(delay) {
    clearTimeout(this.timer);
    const token = this.token;
    this.timer = setTimeout(() => this.tick(token), delay);
  }

  async tick(token) {
    if (token !== this.token || document.hidden) return;
    try {
      const response = await fetchRuns(this.project, this.cursor);
      if (token !== this.token) return;
      this.cursor = response.cursor;
      this.onStatus(true);
      await this.onRuns(response.runs, response.run_ids ?? null);
    } catch (error) {
      if (token !== this.token) return;
      this.onStatus(false, error);
    }
    if (token === this.token) this.schedule(INTERVAL_MS);
  }
}
