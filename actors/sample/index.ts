export { echoKind, echoMachine } from './echo.ts';
export { taskTrackerKind, taskTrackerMachine } from './task-tracker.ts';
