import { apiProblem } from '../http/api.ts';

export const AuthErrors = {
  unauthenticated: apiProblem('auth', 401, 'unauthenticated', 'Sign in or send an API key'),
  badCredentials: apiProblem('auth', 401, 'bad-credentials', 'Unknown user or wrong password'),
  forbidden: apiProblem('auth', 403, 'forbidden', 'You are not allowed to do this'),
  usernameTaken: apiProblem('auth', 409, 'username-taken', 'This username is already used'),
  unknownApiKey: apiProblem('auth', 404, 'unknown-api-key', 'No such API key'),
  tooManyAttempts: apiProblem('auth', 429, 'too-many-attempts', 'Too many failed sign-ins; wait a minute'),
  demoCredentialsInProduction: apiProblem('auth', 500, 'demo-credentials', 'Demo credentials are not allowed in production'),
} as const;
