import { Controller, Get, Redirect } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

/** `GET /` sends a browser to the Connect page (served by the library), the example app's only page. */
@ApiExcludeController()
@Controller()
export class RootController {
  @Get()
  @Redirect('/signing-auth/connect/', 302)
  root(): void {}
}
