import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  type AddTrustedPublisherBody,
  addTrustedPublisherBody,
  ErrorCodes,
  type ImportBundleBody,
  importBundleBody,
} from '@mendflow/common';
import {
  automationDetailSchema,
  bundleSchema,
  signingKeySchema,
  trustedPublisherListSchema,
  trustedPublisherSchema,
} from '@mendflow/contracts/api';
import type { Response } from 'express';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { automationDetailView } from '../automations/automation.views';
import { ApiContract } from '../common/api-contract';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import { bundleDisposition, signingKeyView, trustedPublisherView } from './bundle.views';
import { BundlesService } from './bundles.service';

const automationId = new UuidParam(ErrorCodes.AUTOMATION_NOT_FOUND, 'automation');

/** Signed bundles of automations (docs/bundles.md). */
@ApiTags('bundles')
@Controller('api/v1/automations')
export class BundlesController {
  constructor(private readonly bundles: BundlesService) {}

  @Get(':id/bundle')
  @Requires('workspace:read')
  @ApiContract({
    summary:
      "Export the deployed version as a bundle signed with the workspace's Ed25519 key (an attachment named `<name>.mendflow.json`)",
    response: { status: 200, schema: bundleSchema },
  })
  async export(
    @CurrentPrincipal() principal: Principal,
    @Param('id', automationId) id: string,
    @Res({ passthrough: true }) response: Response,
  ) {
    const bundle = await this.bundles.exportBundle(principal, id);
    response.setHeader('Content-Disposition', bundleDisposition(bundle.automation.name));
    return bundle;
  }

  @Post('import')
  @Requires('automations:write')
  @HttpCode(201)
  // Refused before anything is created: BUNDLE_INVALID (400), BUNDLE_SIGNATURE_INVALID (400),
  // BUNDLE_PUBLISHER_UNTRUSTED (403: neither the workspace's own key nor a trusted publisher's),
  // AUTOMATION_NAME_TAKEN (409: give `name`).
  @ApiContract({
    summary:
      'Import a signed bundle as a new automation (deployed as version 1); refused with BUNDLE_INVALID, BUNDLE_SIGNATURE_INVALID (400), BUNDLE_PUBLISHER_UNTRUSTED (403) or AUTOMATION_NAME_TAKEN (409)',
    body: importBundleBody,
    response: { status: 201, schema: automationDetailSchema },
    errors: [409],
  })
  async import(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(importBundleBody)) body: ImportBundleBody,
  ) {
    return automationDetailView(await this.bundles.importBundle(principal, body));
  }
}

/** The workspace's own signing key and the publishers whose bundles it accepts. */
@ApiTags('bundles')
@Controller('api/v1')
export class SigningKeysController {
  constructor(private readonly bundles: BundlesService) {}

  @Get('signing-key')
  @Requires('workspace:read')
  @ApiContract({
    summary: "The workspace's bundle-signing public key (made on first use)",
    response: { status: 200, schema: signingKeySchema },
  })
  async signingKey(@CurrentPrincipal() principal: Principal) {
    return signingKeyView(await this.bundles.signingKey(principal));
  }

  @Get('trusted-publishers')
  @Requires('workspace:read')
  @ApiContract({
    summary: 'Publisher keys whose bundles this workspace imports',
    response: { status: 200, schema: trustedPublisherListSchema },
  })
  async listTrusted(@CurrentPrincipal() principal: Principal) {
    return { items: (await this.bundles.listTrusted(principal)).map(trustedPublisherView) };
  }

  @Post('trusted-publishers')
  @Requires('publishers:manage')
  @HttpCode(201)
  @ApiContract({
    summary:
      'Trust a publisher key (base64 SPKI or PEM, Ed25519); PUBLISHER_ALREADY_TRUSTED (409) when it is trusted already or is the workspace’s own',
    body: addTrustedPublisherBody,
    response: { status: 201, schema: trustedPublisherSchema },
    errors: [409],
  })
  async addTrusted(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(addTrustedPublisherBody)) body: AddTrustedPublisherBody,
  ) {
    return trustedPublisherView(await this.bundles.addTrusted(principal, body));
  }

  @Delete('trusted-publishers/:id')
  @Requires('publishers:manage')
  @HttpCode(204)
  @ApiContract({
    summary: 'Stop trusting a publisher key (automations already imported stay)',
    response: { status: 204 },
  })
  async removeTrusted(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new UuidParam(ErrorCodes.TRUSTED_PUBLISHER_NOT_FOUND, 'trusted publisher')) id: string,
  ) {
    await this.bundles.removeTrusted(principal, id);
  }
}
