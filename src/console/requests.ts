// What an area's route answers to a request it cannot read (a form's fields forged or cut short):
// the console's error page, 400, nothing changed.

/** An error the console's error handler answers with its 400 page. */
export const badRequest = (message: string) => Object.assign(new Error(message), { statusCode: 400 });
